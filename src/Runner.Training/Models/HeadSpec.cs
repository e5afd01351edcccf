using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Runner.Training.Models;

/// <summary>
/// The new head put on a base for the target classes: `linear` (one layer) or `mlp` (linear, ReLU, linear with
/// <see cref="Hidden"/> units), with dropout before each linear layer when <see cref="Dropout"/> &gt; 0.
/// </summary>
public sealed record HeadSpec(string Kind = "linear", double Dropout = 0, int Hidden = 256)
{
    public static readonly HeadSpec Linear = new();

    public Module<Tensor, Tensor> Build(long features, int classes)
    {
        var layers = new List<Module<Tensor, Tensor>>();
        if (Kind == "mlp")
        {
            if (Dropout > 0) layers.Add(nn.Dropout(Dropout));
            layers.Add(nn.Linear(features, Hidden));
            layers.Add(ReLU());
            features = Hidden;
        }
        else if (Kind != "linear") throw new ArgumentException($"unknown head '{Kind}': linear or mlp");
        if (Dropout > 0) layers.Add(nn.Dropout(Dropout));
        layers.Add(nn.Linear(features, classes));
        // A lone linear layer keeps the plain names (head.weight), as checkpoints of earlier versions have them.
        return layers.Count == 1 ? layers[0] : Sequential(layers.ToArray());
    }
}
