(loop [x 0] (recur (inc x)))
