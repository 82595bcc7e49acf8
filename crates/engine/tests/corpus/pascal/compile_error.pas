begin
  undeclared_name := 1;
end.
