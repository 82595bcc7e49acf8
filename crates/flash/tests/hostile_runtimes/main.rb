require 'socket'

def connect(host, port)
  Socket.tcp(host, port, connect_timeout: 2) {}
  "connected"
rescue => e
  "failed #{e.class}"
end

puts "shadow: " + (begin; File.read("/etc/shadow"); "ok"; rescue; "failed"; end)
puts "write: " + (begin; File.write("/usr/flash-probe", "x"); "ok"; rescue; "failed"; end)
puts "loopback: " + connect("127.0.0.1", ARGV[0].to_i)
puts "testnet: " + connect("192.0.2.1", 80)
out = (`/bin/echo child` rescue "")
puts "child: " + (out.strip == "child" ? "ok" : "failed")
n = 0
begin
  1000.times { Thread.new { sleep 100 }; n += 1 }
rescue ThreadError, StandardError
end
puts "threads: #{n}"
$stdout.flush
exit! 0
