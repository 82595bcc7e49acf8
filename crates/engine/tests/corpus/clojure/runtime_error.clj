(throw (RuntimeException. "flash-boom"))
