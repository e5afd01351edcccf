using Runner.Artifacts;
using Runner.Cluster.Api;
using Runner.Cluster.Workers;
using Runner.Training.Engine;

namespace Runner.Cli;

/// <summary>
/// What a node's trainer needs, whichever process it runs in: the state folder (artifacts, TensorBoard), where data
/// is, torch threads per worker, the artifact cache's size, and this node's certificate for fetching artifacts.
/// </summary>
/// <param name="SweepDataFolder">the sweep file's target.data (`runner run`), tried after <paramref name="DataFolder"/></param>
/// <param name="TlsPath">the worker's certificate (--tls or RUNNER_TLS); its password reaches the child in the environment</param>
public sealed record TrainerSettings(string StateFolder, string? DataFolder, string? SweepDataFolder, int Threads, bool TensorBoard = false,
    long CacheBytes = ArtifactCache.DefaultMaxBytes, string? TlsPath = null)
{
    /// <summary>
    /// The default: each worker's trials in a trainer process of its own (`runner trainer-process`), so a native crash
    /// fails a trial instead of ending this node; its log lines come to <paramref name="log"/>.
    /// </summary>
    public Func<string, TrialExecutor> InTrainerProcesses(Action<string>? log) =>
        device => new TrainerProcess(() => RunnerExecutable.StartInfo(Commands.TrainerProcessCommand.Arguments(this, device)), log).Execute;

    /// <summary>
    /// The TorchSharp trainer in this process (what a trainer process runs): trials, and the pretraining of a sweep's
    /// bases. Artifacts come from the coordinator each assignment names, cached here.
    /// </summary>
    public Func<string, TrialExecutor> InThisProcess(Action<string>? log)
    {
        string artifacts = Cli.StateFolder.Artifacts(StateFolder);
        var http = new ApiCredentials(TlsPath == null ? null : ClusterWiring.Tls(TlsPath)).Client(Timeout.InfiniteTimeSpan);
        var sources = new System.Collections.Concurrent.ConcurrentDictionary<string, ArtifactSource>();
        return device => (job, onEpoch, cancel) =>
        {
            var env = new TrialEnvironment(new DerivedFiles(artifacts), DataFolder, SweepDataFolder, device, Threads, Log: log,
                TensorBoardFolder: TensorBoard ? Cli.StateFolder.TensorBoard(StateFolder) : null,
                Shared: sources.GetOrAdd(job.ArtifactsUrl ?? "", url => ArtifactSource.For(artifacts, url == "" ? null : url, CacheBytes, log, http)),
                BaseSha256: job.BaseSha256);
            return job.Pretrain ? BaseBuilder.Build(job.TrialId, job.Spec, env, cancel) : TrialRunner.Run(job.Spec, env, e => onEpoch(e), cancel);
        };
    }
}
