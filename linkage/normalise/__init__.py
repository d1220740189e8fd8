"""Pure normalisers, one module per kind of value. Each keeps the raw value beside its result."""
