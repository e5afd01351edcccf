using Runner.Sweeps;
using Akka.Actor;
using Akka.Configuration;
using Runner.Cluster.Protocol;

namespace Runner.Cluster.Tests;

public class SerializerTests : Akka.TestKit.Xunit2.TestKit
{
    public SerializerTests() : base(ConfigurationFactory.ParseString($$"""
        akka.actor {
          serializers.runner = "{{typeof(RunnerSerializer).AssemblyQualifiedName}}"
          serialization-bindings {
            "{{typeof(IRunnerMessage).AssemblyQualifiedName}}" = runner
            "{{typeof(Runner.Results.SweepRecord).AssemblyQualifiedName}}" = runner
            "{{typeof(Runner.Results.TrialRecord).AssemblyQualifiedName}}" = runner
          }
        }
        """)) { }

    static readonly DateTime At = new(2026, 11, 26, 6, 0, 0, DateTimeKind.Utc);

    public static IEnumerable<object[]> Messages()
    {
        var trial = Samples.Trial(1);
        yield return new object[] { new SweepEvents.Submitted("s-1", "demo", new[] { trial, Samples.Trial(2) }, 2, At) };
        yield return new object[] { new SweepEvents.TrialStarted("s-1", trial.Id, 2, "akka.tcp://runner@127.0.0.1:4053/user/worker-0", At) };
        yield return new object[] { new SweepEvents.TrialCompleted("s-1", trial.Id, 1, "w", Samples.Result(trial.Id)) };
        yield return new object[] { new SweepEvents.TrialAttemptFailed("s-1", trial.Id, 1, "worker lost", At) };
        yield return new object[] { new SweepEvents.Cancelled("s-1", At) };
        yield return new object[] { new SweepCommands.Submit("s-1", "demo", new[] { trial }, 2, new[] { Samples.Result(trial.Id) }) };
        yield return new object[] { new SweepCommands.RequestTrial("s-1", "w") };
        yield return new object[] { new SweepCommands.ReportCompleted("s-1", trial.Id, 1, "w", Samples.Result(trial.Id)) };
        yield return new object[] { new SweepCommands.ReportFailed("s-1", trial.Id, 1, "boom") };
        yield return new object[] { new SweepCommands.WorkerLost("s-1", "w", "node removed") };
        yield return new object[] { new SweepCommands.Cancel("s-1") };
        yield return new object[] { new SweepCommands.GetStatus("s-1") };
        yield return new object[] { new SweepReplies.Accepted("s-1", 3, false) };
        yield return new object[] { new SweepReplies.Assignment("s-1", trial.Id, 2, trial) };
        yield return new object[] { new SweepReplies.NoTrial("s-1", true) };
        yield return new object[] { new SweepReplies.ReportAck("s-1", trial.Id, false) };
        yield return new object[] { new SweepReplies.SweepStatus("s-1", "demo", 10, 5, 2, 1, 1, 1, true) };
        yield return new object[] { new SweepCommands.GetProgress("s-1") };
        var running = new SweepReplies.RunningTrial(trial.Id, "w", 2, 3, 5, 0.91, 2400.5, "pretrained, freeze 2");
        yield return new object[] { running };
        yield return new object[] { new SweepReplies.SweepProgress(new SweepReplies.SweepStatus("s-1", "demo", 10, 5, 2, 1, 1, 1, true), new[] { running }, trial.Id, 0.93, "x") };
        yield return new object[] { new WorkerMessages.Idle("w", "cuda:1") };
        yield return new object[] { new WorkerMessages.EpochReported("s-1", trial.Id, 1, "w", new Runner.Sweeps.EpochMetrics(1, 0.5, 0.8, double.NaN, 0.7, 1, 100)) };
        yield return new object[] { new WorkerMessages.CancelTrial("s-1", trial.Id) };
        yield return new object[] { new WorkerMessages.StopTrial("s-1", trial.Id) };
        yield return new object[] { new SweepEvents.Submitted("s-1", "asha", new[] { trial }, 2, At, new Runner.Sweeps.EarlyStopSpec("asha", 1, 3, 9)) };
        yield return new object[] { new PoolMessages.SweepHasWork("s-1") };
        yield return new object[] { new PoolMessages.NothingFrom("w", "s-1", true) };
        yield return new object[] { new PoolMessages.GetWorkers() };
        yield return new object[] { new PoolMessages.WorkerInfo("w", "cpu", true) };
        yield return new object[] { new PoolMessages.Workers(new[] { new PoolMessages.WorkerInfo("w", "cpu", false) }) };
        yield return new object[] { new Runner.Results.SweepRecord("s-1", "demo", 3, At) };
        yield return new object[] { new Runner.Results.TrialRecord("s-1", trial.Id, TrialStatus.Completed, 1, "w", trial, Samples.Result(trial.Id), null) };
        var other = Samples.Trial(2);
        yield return new object[] { new SweepSnapshot("s-1", "demo", 2, At, new Runner.Sweeps.EarlyStopSpec("asha", 1, 3, 9), "cuda", false,
            new[] { new SweepSnapshot.Trial(trial, TrialStatus.Stopped, 2, "w", "lost", Samples.Result(trial.Id)), new SweepSnapshot.Trial(other, TrialStatus.Pending, 0, null, null, null) },
            new Dictionary<string, string> { ["w"] = "key" }) };
        yield return new object[] { new SweepEvents.TrialsStarted("s-1", new[] { new SweepEvents.TrialStarted("s-1", trial.Id, 1, "w", At), new SweepEvents.TrialStarted("s-1", other.Id, 3, "w", At) }) };
        yield return new object[] { new SweepEvents.TrialsCompleted("s-1", new[] { new SweepEvents.TrialCompleted("s-1", trial.Id, 1, "w", Samples.Result(trial.Id)), new SweepEvents.TrialCompleted("s-1", other.Id, 1, "w", Samples.Result(other.Id)) }) };
        yield return new object[] { new SweepCommands.ReportsCompleted("s-1", "w", new[] { new SweepCommands.ReportCompleted("s-1", trial.Id, 1, "w", Samples.Result(trial.Id)) }) };
        yield return new object[] { new SweepReplies.Assignments("s-1", new[] { new SweepReplies.Assignment("s-1", trial.Id, 1, trial), new SweepReplies.Assignment("s-1", other.Id, 2, other) }) };
        yield return new object[] { new SweepCommands.RequestTrial("s-1", "w", 64) };
        yield return new object[] { new WorkerMessages.Idle("w", "cpu", 64) };
        var plan = new Runner.Sweeps.Search.SearchPlan("tpe", new[] { new Runner.Sweeps.Search.SearchAxis("learning_rate", "log_uniform", 1e-4, 1e-1),
                new Runner.Sweeps.Search.SearchAxis("head", "choice", Choices: new[] { "linear", "mlp" }) }, 12, 4, 7,
            new[] { new Runner.Sweeps.Search.SearchStudy(new[] { new Runner.Sweeps.Search.CellValue("freeze_depth", "2") }, new[] { 0 }, new[] { 1, 2, 3 }) }, trial);
        yield return new object[] { new SweepEvents.Submitted("s-1", "tpe", Array.Empty<TrialSpec>(), 2, At, Search: plan, Rerun: true) };
        yield return new object[] { new SweepEvents.Proposed("s-1", 0, 3, new[] { trial, other with { TunedBy = "tpe, 12 trials" } }, Final: true) };
        yield return new object[] { new SweepCommands.Submit("s-1", "tpe", Array.Empty<TrialSpec>(), 2, Array.Empty<TrialResult>(), Search: plan) };
        yield return new object[] { new SweepSnapshot("s-1", "tpe", 2, At, null, "cpu", false, new[] { new SweepSnapshot.Trial(trial, TrialStatus.Pending, 0, null, null, null) },
            new Dictionary<string, string>(), null, plan, new[] { new SweepSnapshot.Proposal(0, 0, new[] { trial.Id }, false) }, Rerun: true) };
        yield return new object[] { new SweepReplies.SweepStatus("s-1", "tpe", 10, 1, 1, 0, 0, 0, true, Unproposed: 8) };
    }

    [Fact]
    public void A_request_or_idle_message_written_before_batches_existed_reads_with_no_count()
    {
        // What a Runner without batched dispatch sends: the same contract without key 2. It reads as 0, which the
        // sweep and the pool take as one trial (SweepActorSpecs, WorkerPoolSpecs).
        var serializer = (RunnerSerializer)Sys.Serialization.FindSerializerForType(typeof(IRunnerMessage));
        var request = (SweepCommands.RequestTrial)serializer.FromBinary(MessagePack.MessagePackSerializer.Serialize(new object[] { "s-1", "w" }), "c.req");
        var idle = (WorkerMessages.Idle)serializer.FromBinary(MessagePack.MessagePackSerializer.Serialize(new object[] { "w", "cpu" }), "w.idle");
        Assert.Equal(("s-1", "w", 0), (request.SweepId, request.Worker, request.Count));
        Assert.Equal(("w", "cpu", 0), (idle.Worker, idle.Device, idle.Want));
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void Every_message_round_trips_through_the_runner_serializer_with_a_short_manifest(object message)
    {
        var serializer = Sys.Serialization.FindSerializerFor(message);
        Assert.IsType<RunnerSerializer>(serializer);
        var withManifest = (Akka.Serialization.SerializerWithStringManifest)serializer;
        string manifest = withManifest.Manifest(message);
        Assert.True(manifest.Length <= 10 && !manifest.Contains("Runner"), $"manifest '{manifest}' should be short and carry no type name");
        var back = withManifest.FromBinary(withManifest.ToBinary(message), manifest);
        Assert.Equal(Canonical(message), Canonical(back));
    }

    [Fact]
    public void Every_manifest_is_covered_by_a_round_trip_test()
    {
        var tested = Messages().Select(m => m[0].GetType()).ToHashSet();
        Assert.All(RunnerSerializer.Manifests.Values, t => Assert.Contains(t, tested));
    }

    [Fact]
    public void An_unknown_manifest_is_a_clear_error()
    {
        var serializer = (RunnerSerializer)Sys.Serialization.FindSerializerForType(typeof(IRunnerMessage));
        var e = Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary(new byte[] { 0x90 }, "zz"));
        Assert.Contains("unknown manifest 'zz'", e.Message);
    }

    /// <summary>An epoch as journals written before the validation scores beyond accuracy existed hold it (7 keys).</summary>
    [MessagePack.MessagePackObject]
    public sealed record EpochBefore([property: MessagePack.Key(0)] int Epoch, [property: MessagePack.Key(1)] double TrainLoss,
        [property: MessagePack.Key(2)] double TrainAccuracy, [property: MessagePack.Key(3)] double ValLoss, [property: MessagePack.Key(4)] double ValAccuracy,
        [property: MessagePack.Key(5)] double Seconds, [property: MessagePack.Key(6)] double ImagesPerSecond);

    [Fact]
    public void Results_recorded_before_the_new_scores_read_back_with_them_unknown()
    {
        var old = RunnerSerializer.Unpack<EpochMetrics>(RunnerSerializer.Pack(new EpochBefore(2, 0.3, 0.9, 0.31, 0.88, 1.4, 3100)));
        Assert.Equal(new EpochMetrics(2, 0.3, 0.9, 0.31, 0.88, 1.4, 3100), old);
        Assert.Null(old.ValMacroF1);
        // Scores a result lacks stay unknown through the wire, not zero.
        var withoutScores = Samples.Result("t") with { TestConfusion = null, TestMacroF1 = null };
        var back = RunnerSerializer.Unpack<TrialResult>(RunnerSerializer.Pack(withoutScores));
        Assert.Equal(Canonical(withoutScores), Canonical(back));
    }

    /// <summary>Records with arrays compare by reference; JSON (NaN allowed) compares their contents.</summary>
    static string Canonical(object o) => System.Text.Json.JsonSerializer.Serialize(o, o.GetType(),
        new System.Text.Json.JsonSerializerOptions { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals });
}
