using Akka.Actor;
using Akka.Serialization;
using MessagePack;
using MessagePack.Resolvers;

namespace Runner.Cluster.Protocol;

/// <summary>
/// The one serializer for Runner's messages and events: MessagePack contracts with explicit keys, and a short manifest
/// per type that never changes (renaming a C# type must not orphan a journal). Bound to <see cref="IRunnerMessage"/>
/// and to the results store's two records (see cluster-config/base.conf).
/// </summary>
public sealed class RunnerSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int SerializerId = 7_391;

    /// <summary>Standard resolver only: contracts must be attributed; no typeless or contractless resolution.</summary>
    static readonly MessagePackSerializerOptions Options = MessagePackSerializerOptions.Standard
        .WithResolver(StandardResolver.Instance)
        .WithSecurity(MessagePackSecurity.UntrustedData);

    /// <summary>Manifest ↔ type. Append only; never reuse or change a manifest.</summary>
    public static readonly IReadOnlyDictionary<string, Type> Manifests = new Dictionary<string, Type>
    {
        ["sw.sub"] = typeof(SweepEvents.Submitted),
        ["sw.start"] = typeof(SweepEvents.TrialStarted),
        ["sw.done"] = typeof(SweepEvents.TrialCompleted),
        ["sw.fail"] = typeof(SweepEvents.TrialAttemptFailed),
        ["sw.cancel"] = typeof(SweepEvents.Cancelled),
        ["c.submit"] = typeof(SweepCommands.Submit),
        ["c.req"] = typeof(SweepCommands.RequestTrial),
        ["c.done"] = typeof(SweepCommands.ReportCompleted),
        ["c.fail"] = typeof(SweepCommands.ReportFailed),
        ["c.lost"] = typeof(SweepCommands.WorkerLost),
        ["c.cancel"] = typeof(SweepCommands.Cancel),
        ["c.status"] = typeof(SweepCommands.GetStatus),
        ["r.accept"] = typeof(SweepReplies.Accepted),
        ["r.assign"] = typeof(SweepReplies.Assignment),
        ["r.none"] = typeof(SweepReplies.NoTrial),
        ["r.ack"] = typeof(SweepReplies.ReportAck),
        ["r.status"] = typeof(SweepReplies.SweepStatus),
        ["c.progress"] = typeof(SweepCommands.GetProgress),
        ["r.running"] = typeof(SweepReplies.RunningTrial),
        ["r.progress"] = typeof(SweepReplies.SweepProgress),
        ["w.idle"] = typeof(WorkerMessages.Idle),
        ["w.epoch"] = typeof(WorkerMessages.EpochReported),
        ["w.cancel"] = typeof(WorkerMessages.CancelTrial),
        ["w.stop"] = typeof(WorkerMessages.StopTrial),
        ["p.work"] = typeof(PoolMessages.SweepHasWork),
        ["p.none"] = typeof(PoolMessages.NothingFrom),
        ["p.get"] = typeof(PoolMessages.GetWorkers),
        ["p.info"] = typeof(PoolMessages.WorkerInfo),
        ["p.all"] = typeof(PoolMessages.Workers),
        ["j.sweep"] = typeof(Runner.Results.SweepRecord),
        ["j.trial"] = typeof(Runner.Results.TrialRecord),
        ["sw.starts"] = typeof(SweepEvents.TrialsStarted),
        ["sw.dones"] = typeof(SweepEvents.TrialsCompleted),
        ["c.dones"] = typeof(SweepCommands.ReportsCompleted),
        ["r.assigns"] = typeof(SweepReplies.Assignments),
        ["sw.snap"] = typeof(SweepSnapshot),
        ["sw.prop"] = typeof(SweepEvents.Proposed),
    };

    static readonly Dictionary<Type, string> ManifestOf = Manifests.ToDictionary(kv => kv.Value, kv => kv.Key);

    public override int Identifier => SerializerId;

    public override string Manifest(object o) =>
        ManifestOf.TryGetValue(o.GetType(), out var m) ? m : throw new ArgumentException($"{o.GetType()} has no manifest in {nameof(RunnerSerializer)}");

    public override byte[] ToBinary(object obj) => MessagePackSerializer.Serialize(obj.GetType(), obj, Options);

    /// <summary>A message or record as bytes, with the same contracts, outside Akka (a worker and its trainer process).</summary>
    public static byte[] Pack<T>(T value) => MessagePackSerializer.Serialize(value, Options);

    public static T Unpack<T>(byte[] bytes) => MessagePackSerializer.Deserialize<T>(bytes, Options);

    public override object FromBinary(byte[] bytes, string manifest) =>
        Manifests.TryGetValue(manifest, out var type)
            ? MessagePackSerializer.Deserialize(type, bytes, Options)!
            : throw new System.Runtime.Serialization.SerializationException($"unknown manifest '{manifest}' (written by a newer Runner?)");
}
