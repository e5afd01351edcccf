using static TorchSharp.torch;

namespace Runner.Training.Engine;

/// <summary>
/// Light training-time augmentation on a batch already on the device: a random crop (the image padded by an eighth
/// of its side with zeros, the mean after normalization, then cropped back at a random offset) and a horizontal flip
/// of half the images. Uses torch's generator, which each trial seeds, so it is reproducible. A trial that augments
/// cannot train on cached frozen-prefix features (they would be features of unaugmented images).
/// </summary>
public static class Augmentation
{
    public static Tensor Apply(Tensor batch)
    {
        long n = batch.shape[0], h = batch.shape[2], w = batch.shape[3];
        long pad = Math.Max(1, h / 8);
        using var flip = rand(n, device: batch.device).lt(0.5).view(n, 1, 1, 1);
        using var flipped = batch.flip(3);
        using var mixed = where(flip, flipped, batch);
        using var padded = nn.functional.pad(mixed, new[] { pad, pad, pad, pad });
        using var offsets = randint(0, 2 * pad + 1, new[] { n, 2 }).cpu();
        var o = offsets.data<long>().ToArray();
        var crops = new Tensor[n];
        for (int i = 0; i < n; i++)
            crops[i] = padded[i].narrow(1, o[2 * i], h).narrow(2, o[2 * i + 1], w);
        var result = stack(crops);
        foreach (var c in crops) c.Dispose();
        return result;
    }
}
