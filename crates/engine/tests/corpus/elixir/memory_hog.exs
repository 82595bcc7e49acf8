defmodule Grow do
  def grow(l), do: grow([Enum.to_list(1..1000) | l])
end
Grow.grow([])
