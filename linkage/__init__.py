"""Identity resolution: normalise, match, cluster and keep the evidence. Writes nothing itself."""
