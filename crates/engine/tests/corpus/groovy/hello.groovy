def s = System.in.newReader("UTF-8").readLine()
println "Hello, ${s}!"
