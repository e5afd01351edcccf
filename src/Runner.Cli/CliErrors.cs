namespace Runner.Cli;

/// <summary>The user asked for something that does not exist or conflicts (exit 2), e.g. an unknown sweep id.</summary>
public sealed class BadRequestException(string message) : Exception(message);

/// <summary>The command could not do its work (exit 1), e.g. the coordinator cannot be reached.</summary>
public sealed class CommandFailedException(string message) : Exception(message);
