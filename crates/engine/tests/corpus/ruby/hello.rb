s = gets.chomp
puts "Hello, #{s}!"
