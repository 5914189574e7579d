/** The product mark: a key in a rounded square. Decorative; the product name always sits next to it. */
export function BrandMark({ className = 'size-8' }: { className?: string }) {
  return (
    <svg viewBox="0 0 32 32" className={className} aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="8" fill="#1d4ed8" />
      <circle cx="12" cy="16" r="5" fill="none" stroke="#fff" strokeWidth="2.5" />
      <path d="M17 16h9m-3 0v4m-3-4v3" fill="none" stroke="#fff" strokeWidth="2.5" strokeLinecap="round" />
    </svg>
  );
}
