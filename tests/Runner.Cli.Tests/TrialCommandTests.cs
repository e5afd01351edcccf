using System.Text.Json;

namespace Runner.Cli.Tests;

public class TrialCommandTests
{
    static readonly string[] Tiny =
    {
        "--dataset-size", "10", "--epochs", "1", "--pretrain-epochs", "1", "--validation-per-class", "20", "--batch-size", "16",
        "--threads", "2", "--device", "cpu",
    };

    [Fact]
    public void A_trial_from_flags_prints_json_with_final_metrics_and_the_epoch_list()
    {
        string state = ScratchFolders.New("state");
        var r = CliRunner.Run(new[] { "trial", "--freeze-depth", "2", "--lr", "0.003", "--seed", "4", "--json", "--data", CliRunner.Subset, "--state", state }.Concat(Tiny).ToArray());
        Assert.True(r.ExitCode == 0, r.Error);
        using var doc = JsonDocument.Parse(r.Out);
        var result = doc.RootElement.GetProperty("result");
        Assert.Equal("completed", result.GetProperty("status").GetString());
        Assert.InRange(result.GetProperty("test_accuracy").GetDouble(), 0, 1);
        Assert.Equal(1, result.GetProperty("epochs").GetArrayLength());
        Assert.True(result.GetProperty("epochs")[0].GetProperty("images_per_second").GetDouble() > 0);
        Assert.Equal(2, doc.RootElement.GetProperty("parameters").GetProperty("freeze_depth").GetInt32());
        Assert.Equal(0.003, doc.RootElement.GetProperty("parameters").GetProperty("learning_rate").GetDouble());
        Assert.Single(Directory.GetFiles(Path.Combine(state, "artifacts", "bases"), "*.dat"));
    }

    [Fact]
    public void A_fine_tune_trial_from_flags_trains_every_stage_and_bad_strategy_settings_are_one_line()
    {
        string state = ScratchFolders.New("state-ft");
        var r = CliRunner.Run(new[] { "trial", "--strategy", "fine-tune", "--freeze-depth", "2", "--base-lr-factor", "0.2", "--head", "mlp", "--dropout", "0.1",
            "--json", "--data", CliRunner.Subset, "--state", state }.Concat(Tiny).ToArray());
        Assert.True(r.ExitCode == 0, r.Error);
        using var doc = JsonDocument.Parse(r.Out);
        var parameters = doc.RootElement.GetProperty("parameters");
        Assert.Equal(("fine-tune", 0.2, "mlp"), (parameters.GetProperty("strategy").GetString(), parameters.GetProperty("base_lr_factor").GetDouble(), parameters.GetProperty("head").GetString()));
        var result = doc.RootElement.GetProperty("result");
        Assert.Equal(result.GetProperty("total_parameters").GetInt64(), result.GetProperty("trainable_parameters").GetInt64());

        var bad = CliRunner.Run("trial", "--strategy", "fine-tuning", "--data", CliRunner.Subset, "--state", state);
        Assert.Equal(2, bad.ExitCode);
        Assert.Equal("runner trial: --strategy must be one of feature-extraction, fine-tune, gradual-unfreeze, got 'fine-tuning' (see runner trial --help)", bad.Error.Trim());
        var dropout = CliRunner.Run("trial", "--dropout", "1.5", "--data", CliRunner.Subset, "--state", state);
        Assert.Equal("runner trial: --dropout must be in [0, 1), got 1.5 (see runner trial --help)", dropout.Error.Trim());
    }

    [Fact]
    public void With_tensorboard_a_trial_writes_event_files_under_the_state_folder()
    {
        string state = ScratchFolders.New("state-tb");
        var r = CliRunner.Run(new[] { "trial", "--init", "scratch", "--json", "--tensorboard", "--data", CliRunner.Subset, "--state", state }.Concat(Tiny).ToArray());
        Assert.True(r.ExitCode == 0, r.Error);
        string id = JsonDocument.Parse(r.Out).RootElement.GetProperty("trial").GetString()!;
        var events = Directory.GetFiles(Path.Combine(state, "tensorboard", id), "events.out.tfevents*", SearchOption.AllDirectories);
        Assert.NotEmpty(events);
        Assert.True(new FileInfo(events[0]).Length > 100);
    }

    [Fact]
    public void A_trial_from_a_sweep_file_is_found_by_id_prefix_and_prints_plain_progress_when_piped()
    {
        string state = ScratchFolders.New("state");
        string dir = ScratchFolders.New("sweep");
        string sweep = CliRunner.WriteSweep(dir, File.ReadAllText(Path.Combine(CliRunner.Experiments, "quickstart.yaml"))
            .Replace("../data/fashion-mnist-subset", CliRunner.Subset).Replace("epochs: 2, lr", "epochs: 1, lr"));
        using var plan = JsonDocument.Parse(CliRunner.Run("plan", sweep, "--json").Out);
        var scratch = plan.RootElement.GetProperty("trials").EnumerateArray()
            .First(t => t.GetProperty("parameters").GetProperty("initialization").GetString() == "scratch" &&
                        t.GetProperty("parameters").GetProperty("dataset_size").GetInt32() == 10);
        string id = scratch.GetProperty("id").GetString()!;

        var r = CliRunner.Run("trial", "--sweep", sweep, "--id", id[..8], "--state", state, "--threads", "2");
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains($"trial {id} (scratch, freeze 0, lr 0.001, 10/class, seed", r.Out);
        Assert.Matches(@"epoch 1/3: train loss \d+\.\d+ acc", r.Out);
        Assert.Matches($"trial {id}: completed: test accuracy \\d+\\.\\d+ %", r.Out);
    }

    [Fact]
    public void Contradictory_or_wrong_trial_flags_are_one_line_errors()
    {
        var cases = new (string[] Args, string Message)[]
        {
            (new[] { "trial", "--init", "scratch", "--freeze-depth", "2" }, "--freeze-depth needs --init pretrained"),
            (new[] { "trial", "--freeze-depth", "5" }, "--freeze-depth 5 is beyond convnet4's 4 stages"),
            (new[] { "trial", "--lr", "-1" }, "--lr must be > 0"),
            (new[] { "trial", "--lr", "fast" }, "--lr must be a number, got 'fast'"),
            (new[] { "trial", "--target-classes", "3,4,5,6", "--source-classes", "0,1,2,3" }, "overlap"),
            (new[] { "trial", "--target-classes", "5,Sneakers" }, "no class 'Sneakers'"),
            (new[] { "trial", "--sweep", Path.Combine(CliRunner.Experiments, "quickstart.yaml"), "--lr", "0.1", "--id", "x" }, "--lr cannot be combined with --sweep"),
            (new[] { "trial", "--sweep", Path.Combine(CliRunner.Experiments, "quickstart.yaml"), "--id", "zzzz" }, "has no trial with id zzzz"),
            (new[] { "trial", "--device", "gpu" }, "--device must be auto, cpu, cuda or cuda:N"),
        };
        foreach (var (args, message) in cases)
        {
            var r = CliRunner.Run(args);
            Assert.Equal(2, r.ExitCode);
            Assert.Contains(message, r.Error);
            Assert.Single(r.Error.Trim().Split('\n'));
        }
    }

    [Fact]
    public void Missing_data_is_one_line_naming_the_folder_and_exit_code_1_from_a_real_process()
    {
        string empty = ScratchFolders.New("no-data");
        var r = CliRunner.RunProcess(empty, "trial", "--data", empty, "--state", Path.Combine(empty, "state"));
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"runner trial: {empty}: no Fashion-MNIST files here (named by --data); expected train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]", r.Error.Trim());
        Assert.DoesNotContain("   at ", r.Error);
    }

    [Fact]
    public void A_bad_sweep_file_from_a_real_process_gives_positions_and_no_stack_trace()
    {
        string dir = ScratchFolders.New("bad");
        string file = CliRunner.WriteSweep(dir, "name: x\nbase: { model: convnet5 }\n");
        var r = CliRunner.RunProcess(dir, "validate", file);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"{file}:2:16: base.model must be one of convnet4, resnet18, resnet50, mobilenet_v2, got 'convnet5' (did you mean 'convnet4'?)", r.Error);
        Assert.DoesNotContain("   at ", r.Error);
    }
}
