#lang racket/base
(define s (read-line))
(printf "Hello, ~a!\n" s)
