An unbalanced bracket: beef refuses the program before it runs and exits 1
+[>+
