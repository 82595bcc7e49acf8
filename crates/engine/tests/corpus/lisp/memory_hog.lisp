(defvar *l* nil)
(loop (push (make-array 1000000 :element-type '(unsigned-byte 8) :initial-element 1) *l*))
