using System.Collections.Concurrent;
using System.Text;
using Runner.Cluster.Workers;
using Runner.Sweeps;
using static Runner.Cluster.Protocol.SweepCommands;
using static Runner.Cluster.Protocol.SweepReplies;
using static Runner.Cluster.Workers.TrainerChannel;

namespace Runner.Cluster.Tests;

/// <summary>The trainer process's side of the channel, driven line by line as a worker drives it.</summary>
public class TrainerHostTests
{
    sealed class Lines : TextReader
    {
        public readonly BlockingCollection<string?> Queue = new();
        public override string? ReadLine() => Queue.Take();
    }

    sealed class Captured : TextWriter
    {
        public readonly BlockingCollection<string> Queue = new();
        public override Encoding Encoding => Encoding.UTF8;
        public override void WriteLine(string? value) => Queue.Add(value ?? "");

        public (string Kind, string Payload) Next()
        {
            Assert.True(Queue.TryTake(out string? line, TimeSpan.FromSeconds(20)), "the trainer said nothing");
            Assert.True(TryRead(line!, out string kind, out string payload), line);
            return (kind, payload);
        }
    }

    static readonly TrialSpec Spec = Samples.Trial(1);

    /// <summary>Epochs until told to stop, or until cancelled, as the real loop: cancellation is checked between batches.</summary>
    static TrialResult Train(Assignment job, Func<EpochMetrics, bool> onEpoch, CancellationToken cancel)
    {
        if (job.Attempt == 9) throw new InvalidOperationException("broken\nacross lines");
        for (int epoch = 1; ; epoch++)
        {
            for (int batch = 0; batch < 20 && job.Attempt == 7; batch++)
            {
                cancel.ThrowIfCancellationRequested();
                Thread.Sleep(50);
            }
            if (!onEpoch(new EpochMetrics(epoch, 1, 0.5, 1, 0.5, 0.1, 100))) return Samples.Result(job.TrialId) with { Epochs = Enumerable.Range(1, epoch).Select(e => new EpochMetrics(e, 1, 0.5, 1, 0.5, 0.1, 100)).ToList() };
        }
    }

    (Lines In, Captured Out) Start()
    {
        var (input, output) = (new Lines(), new Captured());
        var host = new TrainerHost(input, output, abandon: () => { });
        new Thread(() => host.Serve(Train)) { IsBackground = true }.Start();
        return (input, output);
    }

    [Fact]
    public void Each_epoch_waits_for_the_workers_answer_and_stop_ends_the_trial_with_its_result()
    {
        var (input, output) = Start();
        input.Queue.Add(Line(Job, Pack(new Assignment("s", Spec.Id, 1, Spec))));
        Assert.Equal(1, Unpack<EpochMetrics>(Expect(output, Epoch)).Epoch);
        input.Queue.Add(Line(Continue));
        Assert.Equal(2, Unpack<EpochMetrics>(Expect(output, Epoch)).Epoch);
        input.Queue.Add(Line(Stop));
        var result = Unpack<TrialResult>(Expect(output, Done));
        Assert.Equal(Spec.Id, result.TrialId);
        Assert.Equal(2, result.Epochs.Count);
    }

    [Fact]
    public void A_cancelled_trial_says_so_and_the_next_job_is_not_confused_by_a_late_answer()
    {
        var (input, output) = Start();
        input.Queue.Add(Line(Job, Pack(new Assignment("s", Spec.Id, 7, Spec))));
        Expect(output, Epoch);
        input.Queue.Add(Line(TrainerChannel.Cancel));
        Expect(output, Cancelled);
        input.Queue.Add(Line(Continue)); // the worker's answer to that epoch, sent before it read "cancelled"
        input.Queue.Add(Line(Job, Pack(new Assignment("s", Spec.Id, 1, Spec))));
        Expect(output, Epoch);
        input.Queue.Add(Line(Stop));
        Assert.Single(Unpack<TrialResult>(Expect(output, Done)).Epochs);
    }

    [Fact]
    public void An_exception_fails_the_trial_with_its_type_and_message_on_one_line()
    {
        var (input, output) = Start();
        input.Queue.Add(Line(Job, Pack(new Assignment("s", Spec.Id, 9, Spec))));
        Assert.Equal("InvalidOperationException: broken | across lines", Expect(output, Failed));
    }

    static string Expect(Captured output, string kind)
    {
        var (got, payload) = output.Next();
        Assert.Equal(kind, got);
        return payload;
    }
}
