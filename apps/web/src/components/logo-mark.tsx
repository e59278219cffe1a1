/** Signet's mark: a seal with a check. Decorative; the adjacent text names the site. */
export function LogoMark({ size = 28 }: { size?: number }) {
  return (
    <svg
      className="logo-mark"
      width={size}
      height={size}
      viewBox="0 0 32 32"
      aria-hidden="true"
      focusable="false"
    >
      <path
        d="M16 2.5 27.5 7v8.6c0 6.9-4.7 12.2-11.5 13.9C9.2 27.8 4.5 22.5 4.5 15.6V7L16 2.5Z"
        fill="currentColor"
      />
      <path
        d="m10.5 16.2 3.8 3.8 7.4-7.6"
        className="logo-check"
        fill="none"
        strokeWidth="2.6"
        strokeLinecap="round"
        strokeLinejoin="round"
      />
    </svg>
  );
}
