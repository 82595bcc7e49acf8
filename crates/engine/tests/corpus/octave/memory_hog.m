c = {};
i = 0;
while true
  i++;
  c{i} = ones(1, 1e6);
end
