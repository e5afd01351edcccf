using TorchSharp;
using static TorchSharp.torch;

namespace Runner.Training.Models;

/// <summary>
/// A network seen as named stages followed by a head. Transfer learning freezes a prefix of the stages and always
/// replaces the head (its size is the number of target classes).
/// </summary>
public interface IStagedModel
{
    string Name { get; }
    IReadOnlyList<(string Name, nn.Module<Tensor, Tensor> Module)> Stages { get; }
    nn.Module<Tensor, Tensor> Head { get; }
    nn.Module<Tensor, Tensor> Network { get; }

    /// <summary>The state_dict prefix of the head (fc, classifier.6, head): a checkpoint's own head there is not loaded.</summary>
    string HeadName { get; }

    /// <summary>
    /// State_dict prefixes of modules a checkpoint of the architecture may hold and this network leaves out (the
    /// auxiliary heads of Inception V3 and GoogLeNet): ignored when loading one.
    /// </summary>
    IReadOnlyList<string> DroppedFromCheckpoints => Array.Empty<string>();

    /// <summary>
    /// The network from stage <paramref name="first"/> on: the input is what stage first-1 produced (frozen-prefix
    /// features), or images when first = 0.
    /// </summary>
    Tensor ForwardFrom(int first, Tensor x)
    {
        if (first == 0) return Network.forward(x);
        using var features = ForwardStages(first, Stages.Count, x);
        return Head.forward(features);
    }

    /// <summary>What the first <paramref name="count"/> stages make of images (used to cache frozen-prefix features).</summary>
    Tensor ForwardPrefix(int count, Tensor x) => ForwardStages(0, count, x);

    /// <summary>
    /// Stages <paramref name="first"/> to <paramref name="end"/> - 1 only: <paramref name="x"/> is what stage first-1
    /// produced (images when first = 0). The features of a deeper prefix are made from a shallower one's this way.
    /// </summary>
    Tensor ForwardStages(int first, int end, Tensor x)
    {
        var h = x;
        for (int i = first; i < end; i++)
        {
            var next = Stages[i].Module.forward(h);
            if (!ReferenceEquals(h, x)) h.Dispose();
            h = next;
        }
        return ReferenceEquals(h, x) ? x.alias() : h;
    }
}
