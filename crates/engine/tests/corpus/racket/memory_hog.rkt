#lang racket/base
(let loop ([l (list)]) (loop (cons (make-bytes 1000000 1) l)))
