using System.Text.Json;

namespace Runner.Cli.Tests;

public class ValidateAndPlanTests
{
    [Fact]
    public void Models_lists_a_zoo_model_with_its_stages_head_and_parameter_counts()
    {
        var r = CliRunner.Run("models", "vgg16,inception_v3", "--json", "--classes", "5");
        Assert.True(r.ExitCode == 0, r.Error);
        var models = r.Out.Trim().Split('\n').Select(line => JsonDocument.Parse(line).RootElement).ToList();
        Assert.Equal(new[] { "vgg16", "inception_v3" }, models.Select(m => m.GetProperty("model").GetString()));
        var vgg = models[0];
        Assert.Equal(new[] { "block1", "block2", "block3", "block4", "block5", "dense" }, vgg.GetProperty("stages").EnumerateArray().Select(s => s.GetProperty("name").GetString()));
        // torchvision's VGG-16 has 138,357,544 parameters; a 5-class head instead of the 1,000-class one: 4,097 × 995 fewer.
        Assert.Equal(138_357_544 - 4097 * 995, vgg.GetProperty("total_parameters").GetInt64());
        Assert.Equal(("classifier.6", 4097 * 5), (vgg.GetProperty("head").GetString(), vgg.GetProperty("head_parameters").GetInt64()));
        Assert.Equal((299, 75), (models[1].GetProperty("input_size").GetInt32(), models[1].GetProperty("min_input_size").GetInt32()));

        var unknown = CliRunner.Run("models", "vgg61");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("unknown model 'vgg61'", unknown.Error);
    }

    [Fact]
    public void Validate_prints_a_one_line_summary_for_the_shipped_experiments()
    {
        foreach (var (file, count) in new[] { ("quickstart.yaml", 32), ("fashion-transfer.yaml", 162) })
        {
            var r = CliRunner.Run("validate", Path.Combine(CliRunner.Experiments, file));
            Assert.Equal(0, r.ExitCode);
            Assert.Single(r.Out.Trim().Split('\n'));
            Assert.Contains($"{count} trials", r.Out);
            Assert.Equal("", r.Error);
        }
    }

    [Fact]
    public void Validate_warns_of_classes_smaller_than_a_dataset_size_and_still_exits_0()
    {
        string folder = ScratchFolders.New("validate-uneven");
        foreach (var (name, count) in new[] { ("big", 12), ("small", 4) })
            for (int i = 0; i < count; i++)
            {
                Directory.CreateDirectory(Path.Combine(folder, "photos", name));
                // The validator reads a file's first bytes only: a PNG signature is enough.
                File.WriteAllBytes(Path.Combine(folder, "photos", name, $"{i}.png"), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
            }
        string sweep = CliRunner.WriteSweep(folder, """
            name: uneven
            base: { model: convnet4 }
            target: { dataset: { type: image-folder, path: photos }, validation_per_class: 1 }
            sweep: { parameters: { initialization: [scratch], dataset_size: [2, 6, all] } }
            """);
        var r = CliRunner.Run("validate", sweep);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("3 trials", r.Out);
        // 4 "small" images: a fifth (1) is the test split, 1 validates, 2 train.
        Assert.Equal($"{sweep}:4:65: warning: dataset_size 6: 1 of 2 classes have fewer training images: 'small' (2); they train on all they have (each trial records how many per class)",
            r.Error.Trim());
        // The plan names dataset_size: all as the file does.
        using var plan = JsonDocument.Parse(CliRunner.Run("plan", sweep, "--json").Out);
        Assert.Equal(new[] { "2", "6", "all" }, plan.RootElement.GetProperty("trials").EnumerateArray().Select(t => t.GetProperty("parameters").GetProperty("dataset_size").ToString()));
    }

    [Fact]
    public void Validate_reports_each_problem_as_file_line_column_and_exits_2()
    {
        string dir = ScratchFolders.New("bad-sweep");
        string file = CliRunner.WriteSweep(dir, File.ReadAllText(Path.Combine(CliRunner.Experiments, "quickstart.yaml"))
            .Replace("epochs: 3, batch_size: 32", "epochs: 3, batchsize: 32")
            .Replace("learning_rate: [1e-3, 1e-2]", "learning_rate: [1e-3, 0]"));
        var r = CliRunner.Run("validate", file);
        Assert.Equal(2, r.ExitCode);
        var lines = r.Error.Trim().Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.Matches($"^{System.Text.RegularExpressions.Regex.Escape(file)}:14:21: unknown key 'train.batchsize' \\(did you mean 'batch_size'\\?\\)$", lines[0].TrimEnd());
        Assert.Matches(":20:27: learning_rate must be > 0, got 0", lines[1]);
        Assert.Equal("", r.Out);
    }

    [Fact]
    public void Dataset_sizes_are_checked_against_the_data_folder_the_sweep_names()
    {
        // The shipped subset holds 1,000 images per class; with 100 for validation, 901 cannot be drawn.
        string dir = ScratchFolders.New("too-big");
        string file = CliRunner.WriteSweep(dir, File.ReadAllText(Path.Combine(CliRunner.Experiments, "quickstart.yaml"))
            .Replace("../data/fashion-mnist-subset", CliRunner.Subset).Replace("dataset_size: [10, 100]", "dataset_size: [10, 901]"));
        var r = CliRunner.Run("validate", file);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("dataset_size 901 is more than any class holds: the largest has 900 training examples", r.Error);
    }

    [Fact]
    public void Plan_lists_every_trial_with_its_id_and_json_round_trips()
    {
        string file = Path.Combine(CliRunner.Experiments, "quickstart.yaml");
        var table = CliRunner.Run("plan", file);
        var json = CliRunner.Run("plan", file, "--json");
        Assert.Equal(0, json.ExitCode);
        using var doc = JsonDocument.Parse(json.Out);
        Assert.Equal("quickstart", doc.RootElement.GetProperty("sweep").GetString());
        Assert.Equal(32, doc.RootElement.GetProperty("count").GetInt32());
        var trials = doc.RootElement.GetProperty("trials").EnumerateArray().ToList();
        Assert.Equal(32, trials.Count);
        Assert.Equal(8, trials.Count(t => t.GetProperty("parameters").GetProperty("initialization").GetString() == "scratch"));
        foreach (var t in trials) Assert.Contains(t.GetProperty("id").GetString()!, table.Out);
        Assert.Contains("32 trials in sweep 'quickstart'", table.Out);
    }

    [Fact]
    public void Unknown_verbs_and_flags_are_errors_with_suggestions()
    {
        var verb = CliRunner.Run("vaildate", "x.yaml");
        Assert.Equal(2, verb.ExitCode);
        Assert.Equal("runner: unknown command 'vaildate' (did you mean 'validate'?); see runner --help", verb.Error.Trim());

        var flag = CliRunner.Run("plan", Path.Combine(CliRunner.Experiments, "quickstart.yaml"), "--jsn");
        Assert.Equal(2, flag.ExitCode);
        Assert.Equal("runner plan: unknown option --jsn for 'plan' (did you mean --json?) (see runner plan --help)", flag.Error.Trim());

        var missing = CliRunner.Run("validate", "/no/such/file.yaml");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("/no/such/file.yaml: no such file", missing.Error);
    }

    [Fact]
    public void Every_verb_has_help_generated_from_the_options_it_parses()
    {
        foreach (var command in CliApp.Commands)
        {
            var r = CliRunner.Run(command.Name, "--help");
            Assert.Equal(0, r.ExitCode);
            Assert.Contains($"Usage:\n  runner {command.Name}", r.Out.Replace("\r", ""));
            Assert.Contains(command.Summary, r.Out);
            foreach (var option in command.Options)
                Assert.Contains(option.IsFlag ? $"--{option.Name}" : $"--{option.Name} <{option.Value}>", r.Out);
            foreach (var argument in command.Arguments) Assert.Contains($"<{argument.Name}>", r.Out);
        }
        var root = CliRunner.Run("--help").Out;
        Assert.All(CliApp.Commands.Where(c => !c.Hidden), c => Assert.Contains($"  {c.Name}", root));
        Assert.All(CliApp.Commands.Where(c => c.Hidden), c => Assert.DoesNotContain($"  {c.Name}", root));
    }

    [Fact]
    public void Option_mistakes_are_one_line_with_exit_code_2()
    {
        string file = Path.Combine(CliRunner.Experiments, "quickstart.yaml");
        var cases = new (string[] Args, string Message)[]
        {
            (new[] { "run", file, "--workers" }, "runner run: --workers needs a value (see runner run --help)"),
            (new[] { "run", file, "--state", "a", "--state", "b" }, "runner run: --state is given twice (see runner run --help)"),
            (new[] { "run", file, "--workers", "two" }, "runner run: --workers must be a whole number, got 'two' (see runner run --help)"),
            (new[] { "trial", "--thread", "2" }, "runner trial: unknown option --thread for 'trial' (did you mean --threads?) (see runner trial --help)"),
            (new[] { "status", "--jsn" }, "runner status: unknown option --jsn for 'status' (did you mean --json?) (see runner status --help)"),
        };
        foreach (var (args, message) in cases)
        {
            var r = CliRunner.Run(args);
            Assert.Equal(2, r.ExitCode);
            Assert.Equal(message, r.Error.Trim());
        }
        var missing = CliRunner.Run("run");
        Assert.Equal(2, missing.ExitCode);
        Assert.StartsWith("runner run: ", missing.Error);
        Assert.Single(missing.Error.Trim().Split('\n'));
    }

    [Fact]
    public void The_shell_completes_verbs_and_options_from_the_same_declarations()
    {
        Assert.Equal(new[] { "trial", "trial-log", "trials" }, CliRunner.Run("[suggest:12]", "runner trial").Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());
        var options = CliRunner.Run("[suggest:21]", "runner trial --freeze").Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(new[] { "--freeze-depth" }, options);
        var bash = CliRunner.Run("completion", "bash");
        Assert.Equal(0, bash.ExitCode);
        Assert.Contains("complete -o default -F _runner_complete runner", bash.Out);
        Assert.Contains("\"[suggest:${COMP_POINT}]\"", bash.Out);

        // In a real bash, with the built `runner` on PATH, as a user's shell would run it.
        var start = new System.Diagnostics.ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("source <(runner completion bash); COMP_LINE='runner trial --lr 0.1 --dat'; COMP_POINT=${#COMP_LINE}; _runner_complete; echo \"${COMPREPLY[@]}\"");
        start.Environment["PATH"] = AppContext.BaseDirectory + ":" + Environment.GetEnvironmentVariable("PATH");
        using var shell = System.Diagnostics.Process.Start(start)!;
        string reply = shell.StandardOutput.ReadToEnd();
        shell.WaitForExit();
        Assert.Equal("--data --dataset-size", reply.Trim());
    }
}
