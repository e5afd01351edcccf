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

    public static string Artifacts(string state) => Runner.Artifacts.ArtifactSource.FolderIn(state);

    /// <summary>TensorBoard event files, one folder per trial id (with --tensorboard).</summary>
    public static string TensorBoard(string state) => Path.Combine(state, "tensorboard");
}
