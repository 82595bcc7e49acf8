# Makes one guess and leaves without waiting for the answer.
print(1, flush=True)
