#lang racket/base
(displayln (current-compiled-file-roots))
