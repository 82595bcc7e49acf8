<?php
echo implode(" ", array_map(fn($e) => extension_loaded($e) ? $e : "no-$e", ["ctype", "tokenizer", "iconv", "posix", "calendar"])), "\n";
