namespace Runner.Cli;

/// <summary>The state folder: --state DIR, else $RUNNER_STATE, else .runner in the current directory.</summary>
public static class StateFolder
{
    public static string Resolve(string? option, string workingDirectory)
    {
        string? env = Environment.GetEnvironmentVariable("RUNNER_STATE");
        string folder = !string.IsNullOrEmpty(option) ? option : !string.IsNullOrEmpty(env) ? env : ".runner";
        return Path.GetFullPath(Path.Combine(workingDirectory, folder));
    }

    /// <summary>
    /// Where the durable state is: --store URL (or $RUNNER_STORE), a PostgreSQL database; else SQLite in the state
    /// folder. The state folder still holds what is local (logs, artifacts).
    /// </summary>
    public static Runner.Results.StoreLocation Store(Arguments args, CliContext context)
    {
        string folder = Resolve(args.Get("state"), context.WorkingDirectory);
        string? url = args.Get("store") ?? Environment.GetEnvironmentVariable("RUNNER_STORE");
        try { return Runner.Results.StoreLocation.Parse(url, folder); }
        catch (Runner.Results.StoreLocationException e) { throw new UsageException(e.Message); }
    }

    public static readonly OptionSpec StoreOption = new("store", "URL",
        "keep sweeps and results in PostgreSQL: postgresql://USER@HOST[:PORT]/DB; password in RUNNER_STORE_PASSWORD[_FILE] or PGPASSWORD [RUNNER_STORE; default SQLite in the state folder]");

    public static string Artifacts(string state) => Runner.Artifacts.ArtifactSource.FolderIn(state);

    /// <summary>TensorBoard event files, one folder per trial id (with --tensorboard).</summary>
    public static string TensorBoard(string state) => Path.Combine(state, "tensorboard");
}
