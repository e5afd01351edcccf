using System.Diagnostics;
using Runner.Sweeps;
using Runner.Training.Models;

namespace Runner.Training.Engine;

/// <summary>
/// A sweep's pretraining task: builds the pretrained base of a trial once for the whole cluster. The base is
/// pretrained here (or found in this host's artifacts), stored in the coordinator's artifact store and named there by
/// a ref of what determines it (model, pretraining settings, source data), so every trial of every sweep that needs
/// the same base starts from the same bytes. When another worker got there first (its ref already names a base),
/// that base is used and nothing is trained.
/// </summary>
public static class BaseBuilder
{
    public static TrialResult Build(string taskId, TrialSpec spec, TrialEnvironment env, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var shared = env.Shared ?? throw new ArgumentException("building a base for a cluster needs its artifact store");
        var pretrain = spec.Pretrain ?? throw new ArgumentException($"task {taskId}: its trial has no pretraining settings");
        TorchRuntime.EnsureLoaded();
        int threads = TorchRuntime.SetThreads(env.Threads);
        var device = TorchRuntime.ResolveDevice(env.Device);
        var source = TargetData.Source(spec, env);
        string name = "base." + PretrainedBases.Key(spec.Model, pretrain, source.Fingerprint);
        string? sha = shared.GetRef(name);
        if (sha != null) env.Log?.Invoke($"base {name} was built before: {sha[..12]}…");
        else
        {
            PretrainedBases.GetOrTrain(env.Artifacts, spec.Model, pretrain, source, device, env.Log, cancel).Network.Dispose();
            string path = PretrainedBases.CheckpointPath(env.Artifacts, spec.Model, pretrain, source.Fingerprint);
            sha = shared.SetRef(name, shared.Publish(path, cancel), claim: true);
            env.Log?.Invoke(FormattableString.Invariant(
                $"base {name} built and stored in {clock.Elapsed.TotalSeconds:F2} s ({new FileInfo(path).Length / 1048576.0:F2} MiB): {sha[..12]}…"));
            // This host has the bytes already: its trials must not download what it just uploaded.
            if (sha == PretrainedBases.Sha256Of(path)) shared.Remember(path, sha);
        }
        return new TrialResult(taskId, TrialStatus.Completed, Array.Empty<EpochMetrics>(), null, null, null, null, null, 0, 0,
            clock.Elapsed.TotalSeconds, TorchRuntime.Describe(device), threads, BaseSha256: sha);
    }
}
