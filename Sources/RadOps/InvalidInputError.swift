/// Marks errors caused by what the user gave rad (a bad file, manifest, option or text), as opposed
/// to a failure while running. The command-line tool exits with status 2 for these and 1 otherwise.
public protocol InvalidInputError: Error, CustomStringConvertible {}
