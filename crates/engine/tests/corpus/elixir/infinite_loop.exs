defmodule Spin do
  def loop(x), do: loop(x + 1)
end
Spin.loop(0)
