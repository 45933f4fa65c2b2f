import RadOps

// Errors about files and options the user supplied: the CLI reports them as invalid input (exit 2).
extension TensorFileError: InvalidInputError {}
extension ConfigError: InvalidInputError {}
extension WeightLoadError: InvalidInputError {}
extension TokenizerError: InvalidInputError {}
extension StudentError: InvalidInputError {}
