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
        // On CPUs that hide their caches LibTorch cannot start NNPACK and said so from every thread that tried it.
        Assert.DoesNotContain("Could not initialize NNPACK", r.Error);
        using var doc = JsonDocument.Parse(r.Out);
        Assert.Equal(7, doc.RootElement.GetProperty("schema_version").GetInt32());
        var trial = doc.RootElement.GetProperty("trials").EnumerateArray().Single();
        Assert.Equal("completed", trial.GetProperty("status").GetString());
        Assert.InRange(trial.GetProperty("test_accuracy").GetDouble(), 0, 1);
        // The test split's confusion matrix, one row per target class, and the scores that follow from it.
        var confusion = trial.GetProperty("test_confusion").EnumerateArray().Select(row => row.EnumerateArray().Select(c => c.GetInt32()).ToArray()).ToArray();
        Assert.Equal(5, confusion.Length);
        Assert.All(confusion, row => Assert.Equal(5, row.Length));
        Assert.Equal(trial.GetProperty("test_accuracy").GetDouble(), Runner.Sweeps.ClassScores.Accuracy(confusion), 12);
        Assert.Equal(Runner.Sweeps.ClassScores.MacroF1(confusion), trial.GetProperty("test_macro_f1").GetDouble(), 12);
        Assert.Equal(Runner.Sweeps.ClassScores.BalancedAccuracy(confusion), trial.GetProperty("test_balanced_accuracy").GetDouble(), 12);
        Assert.Equal(JsonValueKind.Null, trial.GetProperty("test_top5_accuracy").ValueKind);   // five classes: top-5 says nothing
        Assert.InRange(trial.GetProperty("epoch_metrics")[0].GetProperty("val_macro_f1").GetDouble(), 0, 1);
        Assert.Equal(1, trial.GetProperty("epoch_metrics").GetArrayLength());
        Assert.True(trial.GetProperty("epoch_metrics")[0].GetProperty("images_per_second").GetDouble() > 0);
        Assert.Equal(2, trial.GetProperty("freeze_depth").GetInt32());
        Assert.Equal(0.003, trial.GetProperty("learning_rate").GetDouble());
        Assert.Single(Directory.GetFiles(Path.Combine(state, "artifacts", "bases"), "*.dat"));
        // Tested with the weights of the epoch validation chose (the only one here), by the default objective.
        Assert.Equal(1, trial.GetProperty("selected_epoch").GetInt32());
        Assert.Equal(("val_accuracy", "maximize", "best"), (trial.GetProperty("objective_metric").GetString(), trial.GetProperty("objective_goal").GetString(), trial.GetProperty("select").GetString()));
        Assert.Equal(trial.GetProperty("best_val_accuracy").GetDouble(), trial.GetProperty("objective_value").GetDouble());
    }

    [Fact]
    public void The_objective_schedule_and_patience_flags_reach_the_trial_and_bad_ones_get_one_line()
    {
        string state = ScratchFolders.New("state");
        var r = CliRunner.Run(new[] { "trial", "--init", "scratch", "--metric", "val_loss", "--lr-schedule", "cosine", "--warmup-epochs", "1", "--epochs", "2",
            "--label-smoothing", "0.1", "--grad-clip", "1", "--optimizer", "adamw", "--weight-decay", "0.01", "--patience", "3", "--json", "--data", CliRunner.Subset, "--state", state }
            .Concat(new[] { "--dataset-size", "10", "--validation-per-class", "20", "--batch-size", "16", "--threads", "2", "--device", "cpu" }).ToArray());
        Assert.True(r.ExitCode == 0, r.Error);
        var trial = JsonDocument.Parse(r.Out).RootElement.GetProperty("trials")[0];
        Assert.Equal(("val_loss", "minimize", "cosine", 1, 3), (trial.GetProperty("objective_metric").GetString(), trial.GetProperty("objective_goal").GetString(),
            trial.GetProperty("lr_schedule").GetString(), trial.GetProperty("warmup_epochs").GetInt32(), trial.GetProperty("patience").GetInt32()));
        Assert.Equal((0.1, 1.0, "adamw"), (trial.GetProperty("label_smoothing").GetDouble(), trial.GetProperty("grad_clip").GetDouble(), trial.GetProperty("optimizer").GetString()));
        var losses = trial.GetProperty("epoch_metrics").EnumerateArray().Select(e => e.GetProperty("val_loss").GetDouble()).ToList();
        Assert.Equal(losses.IndexOf(losses.Min()) + 1, trial.GetProperty("selected_epoch").GetInt32());

        var bad = CliRunner.Run("trial", "--metric", "val_loss", "--goal", "maximize", "--data", CliRunner.Subset, "--state", state);
        Assert.Equal(2, bad.ExitCode);
        Assert.StartsWith("runner trial: --goal: sweep.metric.goal of val_loss must be minimize, got maximize", bad.Error.Trim());
        Assert.Single(bad.Error.Trim().Split('\n'));
    }

    [Fact]
    public void A_fine_tune_trial_from_flags_trains_every_stage_and_bad_strategy_settings_are_one_line()
    {
        string state = ScratchFolders.New("state-ft");
        var r = CliRunner.Run(new[] { "trial", "--strategy", "fine-tune", "--freeze-depth", "2", "--base-lr-factor", "0.2", "--head", "mlp", "--dropout", "0.1",
            "--json", "--data", CliRunner.Subset, "--state", state }.Concat(Tiny).ToArray());
        Assert.True(r.ExitCode == 0, r.Error);
        using var doc = JsonDocument.Parse(r.Out);
        var trial = doc.RootElement.GetProperty("trials")[0];
        Assert.Equal(("fine-tune", 0.2, "mlp"), (trial.GetProperty("strategy").GetString(), trial.GetProperty("base_lr_factor").GetDouble(), trial.GetProperty("head").GetString()));
        Assert.Equal(trial.GetProperty("total_parameters").GetInt64(), trial.GetProperty("trainable_parameters").GetInt64());

        var bad = CliRunner.Run("trial", "--strategy", "fine-tuning", "--data", CliRunner.Subset, "--state", state);
        Assert.Equal(2, bad.ExitCode);
        Assert.Equal("runner trial: --strategy: train.strategy must be one of feature-extraction, fine-tune, gradual-unfreeze, got 'fine-tuning' (did you mean 'fine-tune'?) (see runner trial --help)", bad.Error.Trim());
        var dropout = CliRunner.Run("trial", "--dropout", "1.5", "--data", CliRunner.Subset, "--state", state);
        Assert.Equal("runner trial: --dropout: train.dropout must be in [0, 1), got 1.5 (see runner trial --help)", dropout.Error.Trim());
    }

    [Fact]
    public void With_tensorboard_a_trial_writes_event_files_under_the_state_folder()
    {
        string state = ScratchFolders.New("state-tb");
        var r = CliRunner.Run(new[] { "trial", "--init", "scratch", "--json", "--tensorboard", "--data", CliRunner.Subset, "--state", state }.Concat(Tiny).ToArray());
        Assert.True(r.ExitCode == 0, r.Error);
        string id = JsonDocument.Parse(r.Out).RootElement.GetProperty("trials")[0].GetProperty("trial_id").GetString()!;
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
            (new[] { "trial", "--freeze-depth", "5" }, "--freeze-depth: freeze_depth 5 is outside 0..4 (convnet4 has 4 stages)"),
            (new[] { "trial", "--lr", "-1" }, "--lr: learning_rate must be > 0, got -1"),
            (new[] { "trial", "--lr", "fast" }, "--lr: sweep.parameters.learning_rate entry must be a number, got 'fast'"),
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

    [Theory]
    [InlineData("--lr", "-1", "learning_rate: [-1]", "learning_rate must be > 0, got -1")]
    [InlineData("--freeze-depth", "7", "freeze_depth: [7]", "freeze_depth 7 is outside 0..4 (convnet4 has 4 stages)")]
    [InlineData("--dataset-size", "5000", "dataset_size: [5000]", "dataset_size 5000 is more than any class holds")]
    public void The_same_bad_value_gets_the_same_message_from_trial_flags_and_from_a_sweep_file(string flag, string value, string parameter, string message)
    {
        string dir = ScratchFolders.New("doors");
        string file = CliRunner.WriteSweep(dir, $$"""
            name: doors
            base: { model: convnet4, pretrain: { classes: [0, 1, 2, 3, 4], epochs: 1 } }
            target: { dataset: fashion-mnist, classes: [5, 6, 7, 8, 9], data: {{CliRunner.Subset}}, validation_per_class: 20 }
            sweep:
              parameters:
                {{parameter}}
            """);
        var fromFile = CliRunner.Run("validate", file);
        var fromFlags = CliRunner.Run("trial", flag, value, "--validation-per-class", "20", "--data", CliRunner.Subset);
        Assert.Equal((2, 2), (fromFile.ExitCode, fromFlags.ExitCode));
        Assert.Contains(message, fromFile.Error);
        Assert.Contains($"runner trial: {flag}: ", fromFlags.Error);
        Assert.Contains(message, fromFlags.Error);
        // After its place (FILE:LINE:COL, or the flag), the message is the same text.
        string inFile = System.Text.RegularExpressions.Regex.Match(fromFile.Error, @"^.*?:\d+:\d+: (.*)$", System.Text.RegularExpressions.RegexOptions.Multiline).Groups[1].Value.Trim();
        string inFlags = System.Text.RegularExpressions.Regex.Match(fromFlags.Error, $@"^runner trial: {flag}: (.*) \(see runner trial --help\)$", System.Text.RegularExpressions.RegexOptions.Multiline).Groups[1].Value.Trim();
        Assert.Equal(inFile, inFlags);
    }

    [Fact]
    public void A_trial_from_flags_has_the_id_of_the_same_trial_in_a_sweep_file()
    {
        string dir = ScratchFolders.New("same-id");
        string file = CliRunner.WriteSweep(dir, $$"""
            name: same
            base: { model: convnet4, pretrain: { classes: [0, 1, 2, 3, 4], epochs: 1 } }
            target: { dataset: fashion-mnist, classes: [5, 6, 7, 8, 9], data: {{CliRunner.Subset}}, validation_per_class: 20 }
            train: { epochs: 1, batch_size: 16 }
            sweep:
              parameters:
                freeze_depth: [2]
                learning_rate: [0.003]
                dataset_size: [10]
              seeds: [4]
            """);
        using var plan = JsonDocument.Parse(CliRunner.Run("plan", file, "--json").Out);
        string fromFile = plan.RootElement.GetProperty("trials")[0].GetProperty("id").GetString()!;
        var r = CliRunner.Run(new[] { "trial", "--freeze-depth", "2", "--lr", "0.003", "--seed", "4", "--dataset-size", "10", "--epochs", "1",
            "--pretrain-epochs", "1", "--validation-per-class", "20", "--batch-size", "16", "--json", "--data", CliRunner.Subset,
            "--state", ScratchFolders.New("state"), "--threads", "2", "--device", "cpu" });
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Equal(fromFile, JsonDocument.Parse(r.Out).RootElement.GetProperty("trials")[0].GetProperty("trial_id").GetString());
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
        Assert.Contains($"{file}:2:16: base.model must be one of {string.Join(", ", Runner.Sweeps.KnownModels.Names)}, got 'convnet5' (did you mean 'convnet4'?)", r.Error);
        Assert.DoesNotContain("   at ", r.Error);
    }
}
