namespace Runner.Sweeps.Tests;

public class SweepRequestTests
{
    const string WithEarlyStop = """
          early_stop: { type: asha, grace_epochs: 1, reduction_factor: 2 }
        """;

    static SweepDefinition Example(bool earlyStop) =>
        SweepText.Parse(earlyStop ? SweepText.Example.Replace("  seeds: [1, 2, 3]\n", "  seeds: [1, 2, 3]\n" + WithEarlyStop + "\n") : SweepText.Example);

    [Fact]
    public void The_id_is_the_name_and_a_hash_of_trials_failures_and_early_stopping()
    {
        var plain = SweepRequest.From(Example(false));
        var asha = SweepRequest.From(Example(true));
        Assert.NotNull(asha.EarlyStop);
        Assert.Equal(plain.Trials.Select(t => t.Id), asha.Trials.Select(t => t.Id));
        Assert.Matches("^fashion-freeze-depth-[0-9a-f]{8}$", plain.Id);
        Assert.NotEqual(plain.Id, asha.Id);
        Assert.Equal(asha.Id, SweepRequest.From(Example(true)).Id);
        Assert.NotEqual(plain.Id, (plain with { MaxFailures = 5 }).Id);
    }

    [Fact]
    public void A_name_used_by_another_definition_is_refused_unless_new_and_a_rerun_gets_its_own_id()
    {
        var request = SweepRequest.From(Example(false));
        var now = new DateTime(2026, 11, 27, 12, 0, 0, DateTimeKind.Utc);
        var other = new[] { (request.Name, request.Name + "-00000000") };
        var e = Assert.Throws<SweepConflictException>(() => request.IdAmong(other, startNew: false, rerun: false, now, "/state"));
        Assert.Contains("already exists in /state with a different definition (id fashion-freeze-depth-00000000)", e.Message);
        Assert.Equal(request.Id, request.IdAmong(other, startNew: true, rerun: false, now, "/state"));
        Assert.Equal(request.Id, request.IdAmong(new[] { (request.Name, request.Id) }, false, false, now, "/state"));
        Assert.Equal(request.Id + "-rerun-20261127120000", request.IdAmong(other, false, rerun: true, now, "/state"));
    }
}

public class DeviceNamesTests
{
    [Theory]
    [InlineData("auto", "cpu", true)]
    [InlineData("auto", "cuda:3", true)]
    [InlineData("cpu", "cpu", true)]
    [InlineData("cpu", "cuda:0", false)]
    [InlineData("cuda", "cuda:2", true)]
    [InlineData("cuda", "cpu", false)]
    [InlineData("cuda:1", "cuda:1", true)]
    [InlineData("cuda:1", "cuda:0", false)]
    public void A_sweeps_resources_device_says_which_workers_may_run_it(string required, string worker, bool serves) =>
        Assert.Equal(serves, DeviceNames.Serves(required, worker));

    [Fact]
    public void The_request_of_a_sweep_file_carries_its_device_which_is_not_part_of_its_id()
    {
        var auto = SweepRequest.From(SweepText.Parse(SweepText.Example));
        var cpu = SweepRequest.From(SweepText.Parse(SweepText.Example.Replace("device: auto", "device: cpu")));
        Assert.Equal(("auto", "cpu"), (auto.Device, cpu.Device));
        Assert.Equal(auto.Id, cpu.Id);
    }
}
