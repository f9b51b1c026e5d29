"""Small programs of the suite's own: recursive fib, and a larger program with one hot
function (the selective-tracing case)."""


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def score(word, weight):
    """The hot function of the selective case: small, called once per word."""
    return len(word) * weight + 1


def program(rounds):
    """A larger program: tokenizes and aggregates text, calling score() once per word among
    other work (dict updates, string methods, sorting). Returns a checksum."""
    text = ("the quick brown fox jumps over the lazy dog while a tracer records "
            "which inputs make a function slow and which make it fast ") * 4
    total = 0
    for r in range(rounds):
        counts = {}
        for i, word in enumerate(text.split()):
            w = word.upper() if (i + r) % 3 == 0 else word.lower()
            counts[w] = counts.get(w, 0) + 1
            if i % 4 == 0:
                total += score(w, r % 7)
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        total += sum(len(k) * v for k, v in ranked[:10])
    return total


def inc(x):
    """The function of the memory case: one int argument, one int result."""
    return x + 1
