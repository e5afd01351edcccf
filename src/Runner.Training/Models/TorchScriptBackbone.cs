using Runner.Sweeps;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Runner.Training.Models;

/// <summary>
/// A backbone the user exported with torch.jit.script or torch.jit.trace (<c>base: {model: torchscript, weights:
/// FILE}</c>), trained as it is with Runner's head on top. It must return features [N, D] (then the head takes them)
/// or a feature map [N, C, H, W] (pooled to [N, C] first). Its stages (<see cref="BackboneStages"/>) are groups of its
/// parameters: freezing one stops their gradients and puts the modules entirely inside it in eval mode; parameters in
/// no stage train with the head, at its rate, whatever the depth. A TorchScript
/// program runs whole, so a stage cannot run alone: there is no frozen-prefix feature cache for it
/// (<see cref="TrialSpec.FrozenFeaturesKey"/>). The state_dict is the program's under <c>backbone.</c> and the head's
/// under <c>head.</c>.
/// </summary>
public sealed class TorchScriptBackbone : Module<Tensor, Tensor>, IStagedModel
{
    readonly jit.ScriptModule<Tensor, Tensor> _backbone;
    readonly Module<Tensor, Tensor> _head;
    readonly Module<Tensor, Tensor> _gray = new TorchVisionModel.GrayToRgb();
    readonly bool _pooled;
    readonly List<(string Name, Module<Tensor, Tensor> Module)> _stages;
    readonly Module<Tensor, Tensor> _headView;

    /// <summary>The size of the features the program returns (D, or C of a feature map).</summary>
    public long FeatureSize { get; }

    /// <param name="path">the TorchScript file</param>
    /// <param name="stages">base.stages, or null for the program's top-level children that hold parameters</param>
    /// <param name="imageSize">the side of the images it will see, to find out what it returns</param>
    public TorchScriptBackbone(string path, int classes, HeadSpec head, string[]? stages, int imageSize) : base(KnownModels.TorchScript)
    {
        try { _backbone = jit.load<Tensor, Tensor>(path); }
        catch (Exception e) when (e is System.Runtime.InteropServices.ExternalException or ArgumentException or IOException)
        {
            throw new WeightFileException($"{Path.GetFileName(path)}: cannot load it as a TorchScript module ({FirstLine(e.Message)})");
        }
        (FeatureSize, _pooled) = Probe(imageSize);
        register_module("backbone", _backbone);
        _head = head.Build(FeatureSize, classes);
        register_module("head", _head);
        _stages = StagesOf(stages);
        var unstaged = _backbone.named_parameters().Where(p => !_stages.Any(st => BackboneStages.Covers(st.Name, p.name))).Select(p => p.parameter).ToList();
        _headView = new HeadView(_head, unstaged);
    }

    public string HeadName => "head";
    /// <summary>The program, trained with the trial (what torch.jit.save writes; <see cref="Engine.TorchScriptExport"/>).</summary>
    internal jit.ScriptModule Program => _backbone;

    /// <summary>The head's linear layers in order (a ReLU between two; dropout does nothing at inference).</summary>
    internal IReadOnlyList<(Tensor Weight, Tensor Bias)> HeadLayers() =>
        (_head is TorchSharp.Modules.Linear single ? new[] { single } : _head.modules().OfType<TorchSharp.Modules.Linear>())
            .Select(l => ((Tensor)l.weight!, (Tensor)l.bias!)).ToList();
    string IStagedModel.Name => KnownModels.TorchScript;
    public IReadOnlyList<(string Name, Module<Tensor, Tensor> Module)> Stages => _stages;
    /// <summary>The new head, with the program's parameters that are in no stage (they train with it).</summary>
    public Module<Tensor, Tensor> Head => _headView;
    public Module<Tensor, Tensor> Network => this;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return _head.call(Features(x)).MoveToOuterDisposeScope();
    }

    /// <summary>What the head takes: the program's features, pooled when it returns a feature map.</summary>
    public Tensor Features(Tensor x)
    {
        using var rgb = _gray.call(x);
        var f = _backbone.call(rgb);
        if (!_pooled) return f;
        using (f) return functional.adaptive_avg_pool2d(f, 1).flatten(1);
    }

    /// <summary>What the program returns for two images of <paramref name="imageSize"/> px: the feature size and whether to pool.</summary>
    (long, bool) Probe(int imageSize)
    {
        bool training = _backbone.training;
        _backbone.eval();
        try
        {
            using var _ = no_grad();
            using var x = zeros(2, 3, imageSize, imageSize);
            using var y = _backbone.call(x);
            return y.dim() switch
            {
                2 => (y.shape[1], false),
                4 => (y.shape[1], true),
                _ => throw new WeightFileException($"the TorchScript backbone returns a tensor of shape [{string.Join(", ", y.shape)}] for [2, 3, {imageSize}, {imageSize}] images; Runner needs features [N, D] or a feature map [N, C, H, W]"),
            };
        }
        catch (Exception e) when (e is System.Runtime.InteropServices.ExternalException or InvalidCastException or InvalidOperationException)
        {
            throw new WeightFileException($"the TorchScript backbone does not run on [2, 3, {imageSize}, {imageSize}] images, or does not return one tensor ({FirstLine(e.Message)})");
        }
        finally
        {
            if (training) _backbone.train();
        }
    }

    /// <summary>The stages: base.stages' entries, or the top-level children that hold parameters.</summary>
    List<(string, Module<Tensor, Tensor>)> StagesOf(string[]? entries)
    {
        var parameters = _backbone.named_parameters().ToList();
        var modules = _backbone.named_modules().ToList();
        entries ??= _backbone.named_children().Select(c => c.name).Where(name => parameters.Any(p => BackboneStages.Covers(name, p.name))).ToArray();
        var stages = new List<(string, Module<Tensor, Tensor>)>();
        foreach (string entry in entries)
        {
            var own = parameters.Where(p => BackboneStages.Covers(entry, p.name)).ToList();
            if (own.Count == 0)
                throw new WeightFileException($"base.stages: '{entry}' names no parameter of the TorchScript backbone (its top-level children: {string.Join(", ", _backbone.named_children().Select(c => c.name))})");
            var inside = modules.Where(m => BackboneStages.Covers(entry, m.name)).Select(m => m.module).ToList();
            stages.Add((entry, new StageView(entry, own.Select(p => p.parameter).ToList(), inside)));
        }
        return stages;
    }

    /// <summary>
    /// Module.Dispose walks every submodule; a TorchScript program's submodules live in it and go with it, so the
    /// walk would reach into a program already released. The parts are released here, once each.
    /// </summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _head.Dispose();
            _gray.Dispose();
            _backbone.Dispose();
        }
        base.Dispose(false);
    }

    static string FirstLine(string message) => message.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim() ?? message;

    /// <summary>The head as the training loop sees it: its own parameters and the program's unstaged ones.</summary>
    sealed class HeadView(Module<Tensor, Tensor> head, List<TorchSharp.Modules.Parameter> unstaged) : Module<Tensor, Tensor>("head_view")
    {
        public override Tensor forward(Tensor x) => head.call(x);

        public override IEnumerable<TorchSharp.Modules.Parameter> parameters(bool recurse = true) => head.parameters().Concat(unstaged);

        public override IEnumerable<(string name, TorchSharp.Modules.Parameter parameter)> named_parameters(bool recurse = true) =>
            head.named_parameters().Concat(unstaged.Select((p, i) => ($"unstaged.{i}", p)));

        public override void train(bool on = true) => head.train(on);
    }

    /// <summary>
    /// A stage of a TorchScript program: its parameters (what freezing stops) and the modules wholly inside it (what
    /// eval mode reaches: their BatchNorm statistics then stay). It cannot run alone.
    /// </summary>
    sealed class StageView(string name, List<TorchSharp.Modules.Parameter> owned, List<Module> inside) : Module<Tensor, Tensor>(name)
    {
        public override Tensor forward(Tensor x) =>
            throw new NotSupportedException("a stage of a TorchScript backbone cannot run alone: the program runs whole");

        public override IEnumerable<TorchSharp.Modules.Parameter> parameters(bool recurse = true) => owned;

        public override IEnumerable<(string name, TorchSharp.Modules.Parameter parameter)> named_parameters(bool recurse = true) =>
            owned.Select((p, i) => (i.ToString(), p));

        public override void train(bool on = true)
        {
            foreach (var m in inside) m.train(on);
        }
    }
}
