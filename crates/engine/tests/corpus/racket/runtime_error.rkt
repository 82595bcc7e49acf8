#lang racket/base
(error "flash-boom")
