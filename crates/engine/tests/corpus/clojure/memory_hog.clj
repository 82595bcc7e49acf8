(loop [l '()] (recur (cons (byte-array 1048576) l)))
