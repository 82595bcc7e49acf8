s = gets.not_nil!
puts "Hello, #{s}!"
