begin
  writeln(stderr, 'flash-boom');
  halt(3);
end.
