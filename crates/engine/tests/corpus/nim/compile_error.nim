undeclared_name = 1
