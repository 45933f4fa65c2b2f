@_exported import RadModelZoo
