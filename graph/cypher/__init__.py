"""Hand-written Cypher, as named ``LiteralString`` constants beside the function that runs them."""
