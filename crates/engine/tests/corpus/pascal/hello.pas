{$H+}
var s: string;
begin
  readln(s);
  writeln('Hello, ', s, '!');
end.
