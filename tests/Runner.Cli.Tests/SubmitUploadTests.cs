using System.Net;
using System.Net.Sockets;

namespace Runner.Cli.Tests;

/// <summary>`runner submit` sends the files a sweep names before the sweep; what goes wrong there is one clear line.</summary>
public class SubmitUploadTests
{
    static string OwnWeightsSweep(string folder)
    {
        string weights = Path.Combine(folder, "base.pt");
        File.WriteAllBytes(weights, new byte[] { 1, 2, 3, 4 });
        return CliRunner.WriteSweep(folder, $$"""
            name: uploads
            base: { model: convnet4, weights: {{weights}} }
            target: { dataset: fashion-mnist, classes: [5, 6, 7, 8, 9], data: {{CliRunner.Subset}}, validation_per_class: 20 }
            train: { epochs: 1 }
            sweep: { parameters: { freeze_depth: [0] }, seeds: [1] }
            """);
    }

    [Fact]
    public void A_coordinator_that_cannot_be_reached_while_uploading_the_weights_is_one_line_and_exit_1()
    {
        string folder = ScratchFolders.New("submit-unreachable");
        string sweep = OwnWeightsSweep(folder);
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();   // nothing listens there now

        var r = CliRunner.Run("submit", sweep, "--coordinator", $"127.0.0.1:{port}");
        Assert.Equal(1, r.ExitCode);
        string[] lines = r.Error.Trim().Split('\n');
        Assert.Single(lines);
        Assert.StartsWith($"runner submit: uploading weights base.pt to http://127.0.0.1:{port}/", lines[0]);
        Assert.DoesNotContain("   at ", r.Error);
    }

    [Fact]
    public void A_weight_file_changed_after_the_sweep_was_read_is_refused_before_anything_is_sent()
    {
        string folder = ScratchFolders.New("submit-changed");
        string sweep = OwnWeightsSweep(folder);
        var loaded = Runner.Sweeps.SweepRequest.From(Runner.Sweeps.SweepFile.Load(sweep));
        File.WriteAllBytes(Path.Combine(folder, "base.pt"), new byte[] { 9, 9 });
        var context = new CliContext { Out = TextWriter.Null, Error = TextWriter.Null, Console = Spectre.Console.AnsiConsole.Create(new()), IsTerminal = false };
        var e = Assert.Throws<CommandFailedException>(() => SweepUploads.Send(loaded, new Runner.Artifacts.ArtifactClient("http://127.0.0.1:9/"), context));
        Assert.Contains("base.pt: changed since the sweep file was read", e.Message);
    }
}
