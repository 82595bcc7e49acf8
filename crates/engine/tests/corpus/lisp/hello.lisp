(let ((s (read-line))) (format t "Hello, ~a!~%" s))
