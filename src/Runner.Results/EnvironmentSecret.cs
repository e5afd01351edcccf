namespace Runner.Results;

/// <summary>
/// How Runner reads a secret (a certificate file's or the store's password): from $NAME, else from the file named by
/// $NAME_FILE (container secrets), never from a flag, which process lists show. Here because every project that reads
/// one (the store, the cluster's TLS, the command line) references this one.
/// </summary>
public static class EnvironmentSecret
{
    public static string? Read(string name) =>
        Environment.GetEnvironmentVariable(name)
        ?? (Environment.GetEnvironmentVariable(name + "_FILE") is { Length: > 0 } file ? File.ReadAllText(file).TrimEnd('\r', '\n') : null);
}
