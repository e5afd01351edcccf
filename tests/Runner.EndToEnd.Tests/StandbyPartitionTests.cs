using System.Diagnostics;
using System.Text.Json;
using Runner.Bench;

namespace Runner.EndToEnd.Tests;

/// <summary>
/// High availability across machines: on a <see cref="HostBed"/>, host 0 runs the active coordinator, host 1 a
/// standby, hosts 2 and 3 a worker each, host 4 PostgreSQL (their store, artifacts included); each host has its own
/// private state folder. The client (this machine) is given both coordinators.
/// </summary>
public sealed class StandbyPartitionTests(ITestOutputHelper output)
{
    const int Active = 0, Standby = 1, Database = 4;

    sealed class HaCluster : IDisposable
    {
        public HostBed Bed { get; }
        public PostgresServer Postgres { get; }
        public string Store { get; }
        public string Folder { get; } = ScratchFolders.New("standby-bed");
        public string Logs => Path.Combine(Folder, "logs");
        public Process[] Coordinators { get; } = new Process[2];
        public string Apis => $"{Bed.Address(Active)}:4080,{Bed.Address(Standby)}:4080";

        public HaCluster()
        {
            Bed = new HostBed(5, Logs);
            try
            {
                Postgres = new PostgresServer(Bed.Hosts[Database], Bed.Address(Database));
                Store = Postgres.NewDatabase("runner");
                Coordinators[Active] = StartCoordinator(Active);
                WaitFor(() => Role(Active) == "coordinator", TimeSpan.FromSeconds(60), "the active coordinator");
                Coordinators[Standby] = StartCoordinator(Standby);
                WaitFor(() => Role(Standby) == "standby", TimeSpan.FromSeconds(60), "the standby");
                string seeds = $"{Bed.Address(Active)}:4053,{Bed.Address(Standby)}:4053";
                foreach (int host in new[] { 2, 3 })
                    Bed.Start(host, $"worker-{host}", BedCluster.Runner, ["worker", "--seed-nodes", seeds, "--host", Bed.Address(host), "--port", "4054",
                        "--state", HostBed.StateFolder, "--insecure", "--devices", "cpu", "--threads", "1", "--data", LocalCluster.Subset]);
                WaitFor(() => Workers() == 2, TimeSpan.FromSeconds(60), "both workers to join");
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        Process StartCoordinator(int host) => Bed.Start(host, $"coordinator-{host}", BedCluster.Runner, ["coordinator",
            "--host", Bed.Address(host), "--port", "4053", "--api-host", Bed.Address(host), "--api-port", "4080", "--state", HostBed.StateFolder,
            "--insecure", "--store", Store, "--peers", $"{Bed.Address(Active + Standby - host)}:4053"]);

        /// <summary>What the coordinator on <paramref name="host"/> says it is, or null when it does not answer.</summary>
        public string? Role(int host)
        {
            try { return JsonDocument.Parse(LocalCluster.Http.GetStringAsync($"http://{Bed.Address(host)}:4080/health").Result).RootElement.GetProperty("role").GetString(); }
            catch (AggregateException) { return null; }
        }

        /// <summary>The workers in the pool of whichever coordinator is active, or -1.</summary>
        public int Workers()
        {
            foreach (int host in new[] { Active, Standby })
                if (Role(host) == "coordinator")
                    try { return JsonDocument.Parse(LocalCluster.Http.GetStringAsync($"http://{Bed.Address(host)}:4080/workers").Result).RootElement.GetArrayLength(); }
                    catch (AggregateException) { }
            return -1;
        }

        public int Finished(string sweep)
        {
            var r = BedCluster.Client("status", sweep, "--json", "--coordinator", Apis);
            if (r.ExitCode != 0) return -1;
            var s = JsonDocument.Parse(r.Out).RootElement;
            return s.GetProperty("completed").GetInt32() + s.GetProperty("failed").GetInt32();
        }

        public string Log(int host) => File.ReadAllText(Path.Combine(Logs, $"coordinator-{host}.log"));

        public void WaitFor(Func<bool> condition, TimeSpan timeout, string what)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (!condition())
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"waited {timeout.TotalSeconds:F0}s for {what}; logs in {Logs}");
                Thread.Sleep(500);
            }
        }

        public void Dispose()
        {
            Postgres?.Dispose();
            Bed.Dispose();
        }
    }

    /// <param name="activeAfter">the host whose coordinator is active once the partition healed; the other one stands by</param>
    void SurvivesPartition(string name, Action<HostBed> cut, Action<HostBed> heal, Action<HaCluster> during, int activeAfter)
    {
        string? why = HostBed.WhyNot() ?? HostBed.WhyNoPartitions() ?? PostgresServer.WhyNot();
        Skip.If(why != null, why);
        using var cluster = new HaCluster();
        string file = Path.Combine(cluster.Folder, name + ".yaml");
        File.WriteAllText(file, $$"""
            name: {{name}}
            base: { model: convnet4 }
            target: { dataset: fashion-mnist, classes: [5, 6, 7, 8, 9], data: {{LocalCluster.Subset}}, validation_per_class: 20 }
            train: { epochs: 2, batch_size: 16 }
            sweep:
              parameters:
                initialization: [scratch]
                learning_rate: [0.001, 0.003]
                dataset_size: [50]
              seeds: [1, 2, 3, 4, 5]
            resources: { max_failures: 3 }
            """);
        var submit = BedCluster.Client("submit", file, "--coordinator", cluster.Apis);
        Assert.True(submit.ExitCode == 0, submit.Error);
        string sweep = submit.Out.Split(' ', StringSplitOptions.RemoveEmptyEntries)[2].TrimEnd(':');
        cluster.WaitFor(() => cluster.Finished(sweep) >= 1, TimeSpan.FromMinutes(3), "a first result");

        cut(cluster.Bed);
        during(cluster);
        heal(cluster.Bed);
        cluster.WaitFor(() => cluster.Finished(sweep) == 10, TimeSpan.FromMinutes(4), "the sweep to finish");
        Assert.All(cluster.Coordinators, c => Assert.False(c.HasExited, "a coordinator process ended"));
        cluster.WaitFor(() => cluster.Role(activeAfter) == "coordinator" && cluster.Role(Active + Standby - activeAfter) == "standby",
            TimeSpan.FromSeconds(60), $"host {activeAfter} active and the other standing by");

        var journal = new JournalAudit(cluster.Store);
        Assert.Empty(journal.Problems());
        output.WriteLine($"writers of the sweep's journal: {journal.Writers().Single().Value}");
        var trials = BedCluster.Client("trials", sweep, "--store", cluster.Store, "--format", "json");
        Assert.True(trials.ExitCode == 0, trials.Error);
        var rows = JsonDocument.Parse(trials.Out).RootElement.GetProperty("trials").EnumerateArray().ToList();
        Assert.Equal(10, rows.Select(r => r.GetProperty("trial_id").GetString()).Distinct().Count());
        Assert.All(rows, r => Assert.Equal(("completed", 2), (r.GetProperty("status").GetString(), r.GetProperty("epoch_metrics").GetArrayLength())));
    }

    /// <summary>
    /// The active coordinator's machine drops off the network (store, standby and workers gone from its view): it
    /// loses the store's lease and stops hosting sweeps; the standby takes the store and the workers over; when the
    /// network is back the old one stands by. The journal shows one writer at a time.
    /// </summary>
    [SkippableFact]
    public void A_coordinator_cut_off_from_everything_hands_its_sweeps_to_the_standby_and_never_writes_beside_it() =>
        SurvivesPartition("ha-isolated", bed => bed.Isolate(Active), bed => bed.Reconnect(Active), cluster =>
        {
            var cut = Stopwatch.StartNew();
            cluster.WaitFor(() => cluster.Role(Standby) == "coordinator", TimeSpan.FromSeconds(30), "the standby to take over");
            output.WriteLine($"the standby was active {cut.Elapsed.TotalSeconds:F1} s after the cut");
            cluster.WaitFor(() => cluster.Log(Active).Contains("lost the store's lease"), TimeSpan.FromSeconds(30), "the cut-off coordinator to step down");
            Thread.Sleep(TimeSpan.FromSeconds(10));
        }, activeAfter: Standby);

    /// <summary>
    /// The active coordinator still reaches the store but neither the standby nor the workers: it keeps the lease
    /// (the store decides), the standby never takes over, and the workers come back to it when the links heal.
    /// </summary>
    [SkippableFact]
    public void A_coordinator_that_still_reaches_the_store_keeps_its_sweeps_and_the_standby_stays_standby() =>
        SurvivesPartition("ha-store-side", bed =>
            {
                foreach (int host in new[] { Standby, 2, 3 }) bed.Cut(Active, host);
            }, bed =>
            {
                foreach (int host in new[] { Standby, 2, 3 }) bed.Heal(Active, host);
            }, cluster =>
            {
                var until = DateTime.UtcNow.AddSeconds(20);
                while (DateTime.UtcNow < until)
                {
                    Assert.NotEqual("coordinator", cluster.Role(Standby));
                    Thread.Sleep(1000);
                }
                Assert.Equal("coordinator", cluster.Role(Active));
            }, activeAfter: Active);
}
