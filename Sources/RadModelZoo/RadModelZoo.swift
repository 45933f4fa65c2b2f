@_exported import RadOps
