A loop whose cell never reaches zero
+[]
