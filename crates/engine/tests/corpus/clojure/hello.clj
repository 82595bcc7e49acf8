(let [s (read-line)] (println (str "Hello, " s "!")))
