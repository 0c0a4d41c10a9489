// How image-to-image counts its steps: the strength decides how many of the schedule's steps
// run on the noised input, and the rest are skipped.

/** How many of the steps run on the noised picture: diffusers' get_timesteps, `min(int(steps × strength), steps)`. */
export function denoisingSteps(steps: number, strength: number): number {
  return Math.min(Math.trunc(steps * strength), steps);
}

/** The fewest steps of which one runs at this strength (Turbo image-to-image: 2 at strength 0.5). */
export function minimumSteps(strength: number): number {
  let steps = Math.max(1, Math.ceil(1 / strength));
  // 1/strength rounds; the product is what get_timesteps truncates.
  while (denoisingSteps(steps, strength) < 1) steps++;
  return steps;
}
